;; caps: calls the capability host functions clock_now and random_get and
;; outputs what it got (kernel tests of the HostCapabilities hook).
(module
  (import "mcpzero" "clock_now" (func $clock_now (result i64)))
  (import "mcpzero" "random_get" (func $random_get (param i32 i32)))
  (import "mcpzero" "output_write" (func $output_write (param i32 i32)))
  (memory (export "memory") 1)
  ;; the time in ns (8 bytes, little-endian), then 4 random bytes
  (func (export "both")
    (i64.store (i32.const 0) (call $clock_now))
    (call $random_get (i32.const 8) (i32.const 4))
    (call $output_write (i32.const 0) (i32.const 12))))
