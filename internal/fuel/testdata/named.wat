;; Exercises every place a function index appears, for the renumbering
;; done with checkpoints: start, elements (active and declarative),
;; ref.func in code and in a global, call_indirect, exports, names.
(module
  (type $t (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $double $add7)
  (elem declare func $boom)
  (global $g (mut i32) (i32.const 0))
  (global $f funcref (ref.func $add7))
  (func $init (global.set $g (i32.const 100)))
  (start $init)
  (func $double (type $t) (i32.mul (local.get 0) (i32.const 2)))
  (func $add7 (type $t) (i32.add (local.get 0) (i32.const 7)))
  (func $boom (export "boom") unreachable)
  ;; run(x) = add7(double(x) + g), through the table
  (func (export "run") (param $x i32) (result i32)
    (drop (ref.func $boom))
    (call_indirect (type $t)
      (i32.add (call_indirect (type $t) (local.get $x) (i32.const 0)) (global.get $g))
      (i32.const 1))))
