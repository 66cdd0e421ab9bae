;; Outside the provable subset: floating point. `prove` must refuse it
;; before any proving, naming the instruction.
(module
  (func (export "half") (param i32) (result i32)
    local.get 0
    f32.convert_i32_s
    f32.const 0.5
    f32.mul
    i32.trunc_f32_s))
