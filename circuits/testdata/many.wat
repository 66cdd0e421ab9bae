;; A function with 65 i32 parameters: the circuits type-check the first 64
;; arguments of the called function (the i32 bitmask is 64 bits), so the
;; first segment must refuse a called function with more (redteam_test.go).
(module
  (func (export "many") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (i32.eqz (local.get 64))))
