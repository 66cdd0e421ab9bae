;; Host I/O for the segment circuit's tests: read the input, transform it
;; byte by byte in memory, write it out in two pieces.
(module
  (import "mcpzero" "input_size" (func $input_size (result i32)))
  (import "mcpzero" "input_read" (func $input_read (param i32 i32 i32) (result i32)))
  (import "mcpzero" "output_write" (func $output_write (param i32 i32)))
  (memory 1)
  (func (export "run")
    (local $n i32) (local $i i32)
    (local.set $n (call $input_size))
    (drop (call $input_read (i32.const 16) (i32.const 0) (local.get $n)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8 offset=16 (local.get $i) (i32.add (i32.load8_u offset=16 (local.get $i)) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (call $output_write (i32.const 16) (i32.const 2))
    (call $output_write (i32.const 0) (i32.const 0))
    (call $output_write (i32.const 18) (i32.sub (local.get $n) (i32.const 2)))))
