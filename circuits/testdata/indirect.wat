;; call_indirect for the segment circuit's tests.
(module
  ;; call_indirect through a table
  (type $bin (func (param i64 i64) (result i64)))
  (table 4 funcref)
  (elem (i32.const 1) $add2 $sub2)
  (func $add2 (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
  (func $sub2 (param i64 i64) (result i64) (local i32)
    (local.set 2 (i32.const 5))
    (i64.sub (local.get 0) (i64.add (local.get 1) (i64.extend_i32_u (local.get 2)))))
  (func (export "indirect") (param $i i32) (result i64)
    (i64.add
      (call_indirect (type $bin) (i64.const 10) (i64.const 3) (local.get $i))
      (call_indirect (type $bin) (i64.const 100) (i64.const 1) (i32.const 1))))
)
