;; CPU-bound loop: n rounds of xorshift64 mixed with i32 arithmetic.
;; run(n) returns a checksum; about 16 instructions per round.
(module
  (func (export "run") (param $n i32) (result i64)
    (local $x i64) (local $acc i64)
    (local.set $x (i64.const 0x9E3779B97F4A7C15))
    (block $done
      (loop $round
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 13))))
        (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 7))))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 17))))
        (local.set $acc (i64.add (local.get $acc) (i64.mul (local.get $x) (i64.extend_i32_u (local.get $n)))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $round)))
    (i64.xor (local.get $acc) (local.get $x)))
)
