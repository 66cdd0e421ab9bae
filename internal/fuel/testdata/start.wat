;; A module whose start function runs a loop at instantiation.
(module
  (global $g (mut i32) (i32.const 0))
  (func $init (local $i i32)
    (local.set $i (i32.const 100))
    (loop $l
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $l (local.get $i)))
    (global.set $g (i32.const 7)))
  (start $init)
  (func (export "get") (result i32) (global.get $g)))
