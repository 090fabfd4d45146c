import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { test } from 'node:test';
import { describeFlag } from '../../src/cli/command-line.js';
import { SETTINGS } from '../../src/config/index.js';
import { COMMAND_LINES } from '../helpers/command-lines.js';

interface Row {
  flag: string;
  env: string;
  default: string;
  commands: string;
}

/** The rows of the README's Settings table, keyed by the flag cell (backticks stripped). */
function readmeSettings(): Map<string, Row> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('### Settings'));
  const table = section.slice(section.indexOf('| flag |'), section.indexOf('\n\n', section.indexOf('| flag |')));
  const rows = new Map<string, Row>();
  for (const line of table.split('\n').slice(2)) {
    // The first four cells never hold a '|'; the meaning may, and is not read.
    const [, flag = '', env = '', def = '', commands = ''] = line.split('|').map((c) => c.replace(/`/g, '').trim());
    rows.set(flag, { flag, env, default: def, commands });
  }
  return rows;
}

test("the README's Settings table lists every setting with its flag, variable, default and commands", () => {
  const rows = readmeSettings();
  const expected = Object.entries(SETTINGS).map(([key, setting]) => {
    const commands = COMMAND_LINES.filter((spec) => spec.settings[key]?.flag === setting.flag).map((s) => s.command);
    return { key, setting, commands: commands.join(', ') };
  });
  assert.deepEqual(
    [...rows.keys()],
    expected.map((e) => describeFlag(e.setting)),
    'one row per setting, in the order of src/config/settings.ts',
  );
  for (const { setting, commands } of expected) {
    const row = rows.get(describeFlag(setting))!;
    assert.equal(row.env, setting.env ?? '', `variable of --${setting.flag}`);
    assert.equal(row.commands, commands, `commands of --${setting.flag}`);
    // A default that is an absolute path depends on where Shroud is installed; the README says it in words.
    if (!isAbsolute(setting.shownDefault))
      assert.equal(row.default, setting.shownDefault, `default of --${setting.flag}`);
  }
});
