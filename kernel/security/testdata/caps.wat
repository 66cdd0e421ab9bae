;; caps: calls the capability host functions and writes what it got.
(module
  (import "mcpzero" "clock_now" (func $clock_now (result i64)))
  (import "mcpzero" "random_get" (func $random_get (param i32 i32)))
  (import "mcpzero" "output_write" (func $output_write (param i32 i32)))
  (memory (export "memory") 1)
  ;; the real time in ns, 8 bytes little-endian
  (func (export "clock")
    (i64.store (i32.const 0) (call $clock_now))
    (call $output_write (i32.const 0) (i32.const 8)))
  ;; 32 random bytes
  (func (export "random")
    (call $random_get (i32.const 16) (i32.const 32))
    (call $output_write (i32.const 16) (i32.const 32))))
