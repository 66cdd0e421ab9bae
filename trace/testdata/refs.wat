;; Bulk-memory and reference-types declarations (WebAssembly 2.0): the module
;; decodes, is not provable as a whole, and "inc" can still be traced.
(module
  (memory 1)
  (table $t 2 funcref)
  (global $f funcref (ref.func $inc))
  (global $n funcref (ref.null func))
  (data $passive "passive bytes")
  (data (i32.const 8) "active")
  (elem $p funcref (ref.func $inc) (ref.null func))
  (elem declare func $inc)
  (elem (table $t) (i32.const 0) func $inc)
  (elem (i32.const 1) funcref (ref.func $inc))
  (func $inc (export "inc") (param i32) (result i32)
    (i32.add (local.get 0) (i32.const 1)))
  (func (export "load") (result i32)
    (i32.load8_u (i32.const 8)))
)
