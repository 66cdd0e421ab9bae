;; CPU-heavy benchmark: an integer hash loop (xorshift-multiply), i32 and i64.
(module
  (global $acc (export "acc") (mut i64) (i64.const 0))
  (func (export "loop") (param $n i32) (result i64)
    (local $i i32) (local $x i64)
    (local.set $x (i64.const 0x9E3779B97F4A7C15))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 33))))
        (local.set $x (i64.mul (local.get $x) (i64.const 0xff51afd7ed558ccd)))
        (local.set $x (i64.add (local.get $x) (i64.extend_i32_u (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (global.set $acc (local.get $x))
    (local.get $x)))
