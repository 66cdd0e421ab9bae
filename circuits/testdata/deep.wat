;; Linear recursion: sum(n) = n + sum(n - 1), n frames deep. Deeper than
;; the 64 frames of the larger shapes: the deep-recursion shape proves it.
(module
  (func $sum (export "sum") (param $n i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (i64.const 0))
      (else (i64.add (local.get $n) (call $sum (i64.sub (local.get $n) (i64.const 1))))))))
