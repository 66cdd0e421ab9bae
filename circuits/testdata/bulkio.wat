;; Reads the input, doubles it with memory.copy (backward, overlapping),
;; frames it with memory.fill, writes it out.
(module
  (import "mcpzero" "input_size" (func $size (result i32)))
  (import "mcpzero" "input_read" (func $read (param i32 i32 i32) (result i32)))
  (import "mcpzero" "output_write" (func $write (param i32 i32)))
  (memory 1)
  (func (export "run") (result i32)
    (local $n i32)
    (local.set $n (call $read (i32.const 8) (i32.const 0) (call $size)))
    (memory.copy (i32.add (i32.const 8) (local.get $n)) (i32.const 8) (local.get $n))
    (memory.fill (i32.const 0) (i32.const 0x2A) (i32.const 8))
    (memory.fill (i32.add (i32.const 8) (i32.shl (local.get $n) (i32.const 1))) (i32.const 0x2A) (i32.const 8))
    (call $write (i32.const 0) (i32.add (i32.const 16) (i32.shl (local.get $n) (i32.const 1))))
    (local.get $n)))
