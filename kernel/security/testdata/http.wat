;; http: GETs the URL given as input and writes http_get's result (4 bytes)
;; followed by the body.
(module
  (import "mcpzero" "http_get" (func $http_get (param i32 i32 i32 i32) (result i32)))
  (import "mcpzero" "input_read" (func $input_read (param i32 i32 i32) (result i32)))
  (import "mcpzero" "output_write" (func $output_write (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "get") (local $n i32) (local $r i32)
    (local.set $n (call $input_read (i32.const 100) (i32.const 0) (i32.const 900)))
    (local.set $r (call $http_get (i32.const 100) (local.get $n) (i32.const 1024) (i32.const 4096)))
    (i32.store (i32.const 0) (local.get $r))
    (call $output_write (i32.const 0) (i32.const 4))
    (if (i32.gt_s (local.get $r) (i32.const 0))
      (then (call $output_write (i32.const 1024) (local.get $r))))))
