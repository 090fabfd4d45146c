/** Watching folders and keeping the last good result of loading them. */
export { type DirWatcher, type DirWatcherOptions, fingerprintDir, watchDir } from './dir-watcher.js';
export {
  type DirLoader,
  InitialLoadError,
  openReloadingStore,
  type ReloadingStore,
  type ReloadingStoreOptions,
} from './reloading-store.js';
