;; files: opens the path given as input under the first preopened
;; directory (fd 3) and writes path_open's errno (4 bytes) followed by the
;; first 4096 bytes of the file.
(module
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "mcpzero" "input_size" (func $input_size (result i32)))
  (import "mcpzero" "input_read" (func $input_read (param i32 i32 i32) (result i32)))
  (import "mcpzero" "output_write" (func $output_write (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "read") (local $n i32) (local $errno i32)
    (local.set $n (call $input_read (i32.const 100) (i32.const 0) (i32.const 64)))
    (local.set $errno (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (local.get $n)
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 200)))
    (i32.store (i32.const 0) (local.get $errno))
    (call $output_write (i32.const 0) (i32.const 4))
    (if (i32.eqz (local.get $errno))
      (then
        (i32.store (i32.const 300) (i32.const 1024))
        (i32.store (i32.const 304) (i32.const 4096))
        (drop (call $fd_read (i32.load (i32.const 200)) (i32.const 300) (i32.const 1) (i32.const 400)))
        (call $output_write (i32.const 1024) (i32.load (i32.const 400)))))))
