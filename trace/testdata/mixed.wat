;; A module mixing float code, SIMD and a foreign import with integer code:
;; not provable as a whole, but "add" and "twice" can still be traced.
(module
  (import "env" "log" (func $log (param i32)))
  (memory 1)
  (global $f (mut f32) (f32.const 1.5))
  (func $half (export "half") (param f32) (result f32)
    (f32.mul (local.get 0) (f32.const 0.5)))
  (func $add (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func (export "twice") (param i32) (result i32)
    (call $add (local.get 0) (local.get 0)))
  (func (export "logs") (param i32)
    (call $log (local.get 0)))
  (func (export "convert") (param i32) (result i32)
    (i32.trunc_f32_s (f32.convert_i32_s (local.get 0))))
  (func (export "vec") (result i32)
    (i32x4.extract_lane 0 (v128.const i32x4 1 2 3 4)))
  (data (i32.const 0) "x")
  ;; memory.copy and memory.fill are provable; data.drop is not.
  (func (export "drop")
    (data.drop 0))
)
