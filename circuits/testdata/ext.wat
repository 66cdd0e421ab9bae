;; br_table and the sign-extension operators for the segment circuit's tests.
(module
  ;; br_table with and without a carried value, default label included.
  (func (export "switch") (param $i i32) (result i32)
    (local $acc i32)
    (local.set $acc
      (block $b2 (result i32)
        (block $b1 (result i32)
          (block $b0 (result i32)
            (br_table $b0 $b1 $b2 (i32.const 100) (local.get $i)))
          (return (i32.const 7)))
        (return (i32.add (i32.const 8) (i32.const 1)))))
    (block $x
      (block $y
        (br_table $y $x $y (local.get $i)))
      (local.set $acc (i32.add (local.get $acc) (i32.const 1000))))
    (local.get $acc))
  ;; sign-extension operators
  (func (export "ext") (param $a i64) (result i64)
    (local $t i64)
    (local.set $t (i64.extend8_s (local.get $a)))
    (local.set $t (i64.add (local.get $t) (i64.extend16_s (local.get $a))))
    (local.set $t (i64.add (local.get $t) (i64.extend32_s (local.get $a))))
    (local.set $t (i64.add (local.get $t) (i64.extend_i32_u (i32.extend8_s (i32.wrap_i64 (local.get $a))))))
    (i64.add (local.get $t) (i64.extend_i32_u (i32.extend16_s (i32.wrap_i64 (local.get $a))))))
  ;; bit counts
  (func (export "counts") (param $a i64) (result i64)
    (local $t i64)
    (local.set $t (i64.clz (local.get $a)))
    (local.set $t (i64.add (local.get $t) (i64.ctz (local.get $a))))
    (local.set $t (i64.add (local.get $t) (i64.popcnt (local.get $a))))
    (local.set $t (i64.add (local.get $t) (i64.clz (i64.const 0))))
    (local.set $t (i64.add (local.get $t) (i64.ctz (i64.const 0))))
    (local.set $t (i64.add (local.get $t) (i64.extend_i32_u (i32.clz (i32.wrap_i64 (local.get $a))))))
    (local.set $t (i64.add (local.get $t) (i64.extend_i32_u (i32.ctz (i32.wrap_i64 (local.get $a))))))
    (local.set $t (i64.add (local.get $t) (i64.extend_i32_u (i32.ctz (i32.const 0)))))
    (i64.add (local.get $t) (i64.extend_i32_u (i32.popcnt (i32.wrap_i64 (local.get $a))))))
  ;; arithmetic shift right
  (func (export "shrs") (param $a i64) (param $k i64) (result i64)
    (local $t i64)
    (local.set $t (i64.shr_s (local.get $a) (local.get $k)))
    (local.set $t (i64.add (local.get $t) (i64.shr_s (local.get $a) (i64.const 0))))
    (local.set $t (i64.add (local.get $t) (i64.shr_s (local.get $a) (i64.const 63))))
    (i64.add (local.get $t) (i64.extend_i32_u (i32.shr_s (i32.wrap_i64 (local.get $a)) (i32.wrap_i64 (local.get $k))))))
)
