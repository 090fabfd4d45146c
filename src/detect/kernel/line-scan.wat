;; The detectors' whole-value pass (see line-scan.ts): one read of a value, 16 characters at a
;; time, that finds
;;   - the lines holding one of the hint fragments `pass pw secret token key cred pat auth` in
;;     any ASCII case: for the first fragment of each such line, a record (line start, line end,
;;     fragment position) of three i32 at `out`, in order; the call returns how many;
;;   - the runs of 20 or more token characters `A-Za-z0-9+/_-`: a record (start, end) of two i32
;;     per run at `runsOut`, in order; exported function runCount says how many, after scan.
;; It computes exactly what hint-lines.ts and runs.ts compute in JavaScript.
;;
;; Memory, laid out by the caller: the value as UTF-16 code units at 0 followed by 64 zero bytes
;; (reads run past the value's end, where zeros are no text); `out` and `runsOut` (4-aligned)
;; receive the records.
;; Each 16 code units are narrowed to bytes with saturation: a unit above 0xff becomes 0xff, one
;; above 0x7fff becomes 0; neither is a letter, digit, token character or newline, as for the
;; JavaScript searches.
(module
  (memory (export "memory") 1)
  (global $runCount (mut i32) (i32.const 0))

  (func (export "runCount") (result i32) (global.get $runCount))

  ;; True when a hint fragment starts at the code unit at byte address $p (ASCII letters lower-cased
  ;; with | 0x20, which maps no other unit onto a lower-case letter). Four units little-endian:
  ;; `pass` is 0x0073_0073_0061_0070.
  (func $fragmentAt (param $p i32) (result i32)
    (local $w i64)
    (local.set $w (i64.or (i64.load (local.get $p)) (i64.const 0x0020002000200020)))
    (if (i64.eq (local.get $w) (i64.const 0x0073007300610070)) (then (return (i32.const 1)))) ;; pass
    (if (i64.eq (i64.and (local.get $w) (i64.const 0xffffffff)) (i64.const 0x00770070)) (then (return (i32.const 1)))) ;; pw
    (if (i64.eq (local.get $w) (i64.const 0x0072006300650073)) ;; secr
      (then (return (i32.eq (i32.or (i32.load offset=8 (local.get $p)) (i32.const 0x00200020)) (i32.const 0x00740065))))) ;; et
    (if (i64.eq (local.get $w) (i64.const 0x0065006b006f0074)) ;; toke
      (then (return (i32.eq (i32.or (i32.load16_u offset=8 (local.get $p)) (i32.const 0x20)) (i32.const 0x6e))))) ;; n
    (if (i64.eq (i64.and (local.get $w) (i64.const 0xffffffffffff)) (i64.const 0x00790065006b)) (then (return (i32.const 1)))) ;; key
    (if (i64.eq (local.get $w) (i64.const 0x0064006500720063)) (then (return (i32.const 1)))) ;; cred
    (if (i64.eq (i64.and (local.get $w) (i64.const 0xffffffffffff)) (i64.const 0x007400610070)) (then (return (i32.const 1)))) ;; pat
    (i64.eq (local.get $w) (i64.const 0x0068007400750061))) ;; auth

;; The value's `n` code units; returns the number of hint-line records.
  (func (export "scan") (param $n i32) (param $out i32) (param $runsOut i32) (result i32)
    (local $i i32) (local $at i32) (local $count i32) (local $record i32)
    (local $lineStart i32) (local $inHintLine i32)
    (local $run i32) (local $runs i32) (local $gaps i32) (local $end i32)
    (local $v0 v128) (local $l0 v128) (local $l1 v128) (local $lower v128)
    (local $newlines i32) (local $events i32) (local $lane i32) (local $p i32)
    (local.set $lower (i8x16.splat (i32.const 0x20)))
    (block $done
      (loop $chunk
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $at (i32.shl (local.get $i) (i32.const 1)))
        (local.set $v0 (i8x16.narrow_i16x8_u (v128.load (local.get $at)) (v128.load offset=16 (local.get $at))))
        (local.set $l0 (v128.or (local.get $v0) (local.get $lower)))

        ;; Token runs. $run is the length of the run ending at this chunk's start. A run inside one
        ;; chunk is at most 15 long, so a long run reaches a chunk's edge: it ends at the chunk's
        ;; first gap (a lane holding no letter, digit, + / _ -) or runs on into the next chunk.
        (local.set $gaps (i32.xor (i32.const 0xffff) (i8x16.bitmask
          (v128.or
            (v128.or
              (i8x16.lt_u (i8x16.sub (local.get $l0) (i8x16.splat (i32.const 0x61))) (i8x16.splat (i32.const 26)))
              (i8x16.lt_u (i8x16.sub (local.get $v0) (i8x16.splat (i32.const 0x30))) (i8x16.splat (i32.const 10))))
            (v128.or
              (v128.or (i8x16.eq (local.get $v0) (i8x16.splat (i32.const 0x2b))) (i8x16.eq (local.get $v0) (i8x16.splat (i32.const 0x2f))))
              (v128.or (i8x16.eq (local.get $v0) (i8x16.splat (i32.const 0x5f))) (i8x16.eq (local.get $v0) (i8x16.splat (i32.const 0x2d)))))))))
        (if (i32.eqz (local.get $gaps))
          (then (local.set $run (i32.add (local.get $run) (i32.const 16))))
          (else
            (local.set $end (i32.add (local.get $i) (i32.ctz (local.get $gaps))))
            (local.set $run (i32.add (local.get $run) (i32.ctz (local.get $gaps))))
            (if (i32.ge_u (local.get $run) (i32.const 20))
              (then
                (i32.store (local.get $runsOut) (i32.sub (local.get $end) (local.get $run)))
                (i32.store offset=4 (local.get $runsOut) (local.get $end))
                (local.set $runsOut (i32.add (local.get $runsOut) (i32.const 8)))
                (local.set $runs (i32.add (local.get $runs) (i32.const 1)))))
            ;; the token lanes above the highest gap start the next run
            (local.set $run (i32.sub (i32.clz (local.get $gaps)) (i32.const 16)))))

        ;; Newlines and candidates, in lane order: a newline ends the line, a confirmed fragment
        ;; opens a record for a line that has none yet. Candidates are the lanes where a
        ;; fragment's first two lower-cased characters start (pa pw se ke to cr au); $fragmentAt
        ;; confirms each. (A third character in the filter costs more than the few extra
        ;; candidates it rules out.)
        (local.set $newlines (i8x16.bitmask (i8x16.eq (local.get $v0) (i8x16.splat (i32.const 10)))))
        (local.set $l1 (v128.or (local.get $lower)
          (i8x16.narrow_i16x8_u (v128.load offset=2 (local.get $at)) (v128.load offset=18 (local.get $at)))))
        (local.set $events (i32.or (local.get $newlines) (i8x16.bitmask
          (v128.or
            (v128.or
              (v128.and (i8x16.eq (local.get $l0) (i8x16.splat (i32.const 0x70))) ;; pa pw
                (v128.or (i8x16.eq (local.get $l1) (i8x16.splat (i32.const 0x61))) (i8x16.eq (local.get $l1) (i8x16.splat (i32.const 0x77)))))
              (v128.and (v128.or (i8x16.eq (local.get $l0) (i8x16.splat (i32.const 0x73))) (i8x16.eq (local.get $l0) (i8x16.splat (i32.const 0x6b)))) ;; se ke
                (i8x16.eq (local.get $l1) (i8x16.splat (i32.const 0x65)))))
            (v128.or
              (v128.and (i8x16.eq (local.get $l0) (i8x16.splat (i32.const 0x74))) (i8x16.eq (local.get $l1) (i8x16.splat (i32.const 0x6f)))) ;; to
              (v128.or
                (v128.and (i8x16.eq (local.get $l0) (i8x16.splat (i32.const 0x63))) (i8x16.eq (local.get $l1) (i8x16.splat (i32.const 0x72)))) ;; cr
                (v128.and (i8x16.eq (local.get $l0) (i8x16.splat (i32.const 0x61))) (i8x16.eq (local.get $l1) (i8x16.splat (i32.const 0x75)))))))))) ;; au
        (block $noMore
          (loop $event
            (br_if $noMore (i32.eqz (local.get $events)))
            (local.set $lane (i32.ctz (local.get $events)))
            (local.set $events (i32.and (local.get $events) (i32.sub (local.get $events) (i32.const 1))))
            (local.set $p (i32.add (local.get $i) (local.get $lane)))
            (br_if $noMore (i32.ge_u (local.get $p) (local.get $n)))
            (if (i32.and (local.get $newlines) (i32.shl (i32.const 1) (local.get $lane)))
              (then
                (if (local.get $inHintLine)
                  (then
                    (i32.store offset=4 (local.get $record) (local.get $p))
                    (local.set $inHintLine (i32.const 0))))
                (local.set $lineStart (i32.add (local.get $p) (i32.const 1))))
              (else
                (if (i32.eqz (local.get $inHintLine))
                  (then
                    (if (call $fragmentAt (i32.shl (local.get $p) (i32.const 1)))
                      (then
                        (local.set $record (i32.add (local.get $out) (i32.mul (local.get $count) (i32.const 12))))
                        (i32.store (local.get $record) (local.get $lineStart))
                        (i32.store offset=8 (local.get $record) (local.get $p))
                        (local.set $count (i32.add (local.get $count) (i32.const 1)))
                        (local.set $inHintLine (i32.const 1))))))))
            (br $event)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $chunk)))
    (if (local.get $inHintLine) (then (i32.store offset=4 (local.get $record) (local.get $n))))
    ;; A run reaching the value's end when that end is a chunk's end (otherwise the zeros after
    ;; the value ended it in the loop).
    (if (i32.ge_u (local.get $run) (i32.const 20))
      (then
        (i32.store (local.get $runsOut) (i32.sub (local.get $n) (local.get $run)))
        (i32.store offset=4 (local.get $runsOut) (local.get $n))
        (local.set $runs (i32.add (local.get $runs) (i32.const 1)))))
    (global.set $runCount (local.get $runs))
    (local.get $count))
)
