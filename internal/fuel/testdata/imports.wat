;; Imports a function and a global, so the fuel global's index (2) comes
;; after the imported (1) and defined (1) globals.
(module
  (import "env" "add" (func $add (param i32 i32) (result i32)))
  (import "env" "base" (global $base i32))
  (global $k (mut i32) (i32.const 10))
  (func (export "run") (param $x i32) (result i32)
    (global.set $k (i32.add (global.get $k) (local.get $x)))
    (call $add (global.get $base) (global.get $k))))
