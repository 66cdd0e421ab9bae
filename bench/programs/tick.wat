;; The per-call overhead probe: a method of type () -> () with no imports that
;; does a little work (a 100-round loop over a global), so that the same bytes
;; run unchanged under mcpzero and under Extism.
(module
  (memory (export "memory") 1)
  (global $acc (mut i32) (i32.const 0))
  (func (export "run")
    (local $i i32)
    (loop $l
      (global.set $acc (i32.add (global.get $acc) (i32.mul (local.get $i) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 100)))))
)
