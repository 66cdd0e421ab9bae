;; Host I/O: read the input, write it reversed, and a few failure cases.
(module
  (import "mcpzero" "input_size" (func $input_size (result i32)))
  (import "mcpzero" "input_read" (func $input_read (param i32 i32 i32) (result i32)))
  (import "mcpzero" "output_write" (func $output_write (param i32 i32)))
  (memory (export "memory") 2)
  (global $n (export "n") (mut i32) (i32.const 0))
  ;; reverse: output = input reversed, read in two pieces.
  (func (export "reverse")
    (local $size i32) (local $i i32) (local $half i32)
    (local.set $size (call $input_size))
    (local.set $half (i32.shr_u (local.get $size) (i32.const 1)))
    (drop (call $input_read (i32.const 1024) (i32.const 0) (local.get $half)))
    (global.set $n (call $input_read
      (i32.add (i32.const 1024) (local.get $half)) (local.get $half) (i32.const 100000)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $size)))
        (i32.store8 (i32.add (i32.const 70000) (local.get $i))
          (i32.load8_u (i32.sub (i32.add (i32.const 1023) (local.get $size)) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (call $output_write (i32.const 70000) (local.get $size))
    (call $output_write (i32.const 70000) (i32.const 0)))
  ;; read past the end of the input: n = 0
  (func (export "past_end") (result i32)
    (call $input_read (i32.const 0) (i32.const 1000000) (i32.const 10)))
  ;; destination out of bounds: trap
  (func (export "read_oob") (result i32)
    (call $input_read (i32.const 131070) (i32.const 0) (i32.const 10)))
  (func (export "write_oob")
    (call $output_write (i32.const 131000) (i32.const 1000)))
  ;; more than the 1 MiB output limit: trap
  (func (export "write_too_much")
    (call $output_write (i32.const 0) (i32.const 65536))
    (call $output_write (i32.const 0) (i32.const 131072))
    (loop $l
      (call $output_write (i32.const 0) (i32.const 131072))
      (br $l)))
)
