;; Shifts, rotations and unsigned division for the segment circuit's tests.
(module
  ;; shifts, rotations, unsigned division; divides by zero when $d is 0.
  (func (export "bits") (param $a i64) (param $d i64) (result i64)
    (local $t i64)
    (local.set $t (i64.shl (local.get $a) (i64.const 3)))
    (local.set $t (i64.add (local.get $t) (i64.and (local.get $a) (i64.const 0x0F0F00FF12345678))))
    (local.set $t (i64.xor (local.get $t) (i64.or (local.get $a) (local.get $d))))
    (local.set $t (i64.add (local.get $t) (i64.extend_i32_u (i32.xor (i32.wrap_i64 (local.get $a)) (i32.const -1)))))
    (local.set $t (i64.add (local.get $t) (i64.extend_i32_u (i32.and (i32.wrap_i64 (local.get $a)) (i32.or (i32.const 0x70) (i32.const 0x0F))))))
    (local.set $t (i64.add (local.get $t) (i64.shl (local.get $a) (i64.const 67))))
    (local.set $t (i64.add (local.get $t) (i64.shr_u (local.get $a) (i64.const 13))))
    (local.set $t (i64.add (local.get $t) (i64.shr_u (local.get $a) (i64.const 0))))
    (local.set $t (i64.add (local.get $t) (i64.rotl (local.get $a) (i64.const 17))))
    (local.set $t (i64.add (local.get $t) (i64.rotr (local.get $a) (i64.const 5))))
    (local.set $t (i64.add (local.get $t) (i64.rotr (local.get $a) (i64.const 64))))
    (local.set $t (i64.add (local.get $t) (i64.extend_i32_u (i32.shl (i32.wrap_i64 (local.get $a)) (i32.const 31)))))
    (local.set $t (i64.add (local.get $t) (i64.extend_i32_u (i32.shr_u (i32.wrap_i64 (local.get $a)) (i32.const 35)))))
    (local.set $t (i64.add (local.get $t) (i64.extend_i32_u (i32.rotl (i32.wrap_i64 (local.get $a)) (i32.const 9)))))
    (local.set $t (i64.add (local.get $t) (i64.extend_i32_u (i32.rotr (i32.wrap_i64 (local.get $a)) (i32.const 1)))))
    (local.set $t (i64.add (local.get $t) (i64.extend_i32_u (i32.div_u (i32.wrap_i64 (local.get $a)) (i32.const 7)))))
    (local.set $t (i64.add (local.get $t) (i64.extend_i32_u (i32.rem_u (i32.wrap_i64 (local.get $a)) (i32.const 7)))))
    (local.set $t (i64.add (local.get $t) (i64.rem_u (local.get $a) (i64.const 1000003))))
    (i64.add (local.get $t) (i64.div_u (local.get $a) (local.get $d))))
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
    (local.get $acc)))
