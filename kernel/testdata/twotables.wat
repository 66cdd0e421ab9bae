;; twotables: a plugin wazero runs (reference types allow several tables)
;; but the tracer does not decode (it supports one table), for the kernel's
;; test that such an execute is refused as not provable
;; (kernel/coverage_more_test.go).
(module
  (import "mcpzero" "output_write" (func $output_write (param i32 i32)))
  (memory (export "memory") 1)
  (table 1 funcref)
  (table 1 funcref)
  (data (i32.const 0) "ok")
  (func (export "ok")
    (call $output_write (i32.const 0) (i32.const 2))))
