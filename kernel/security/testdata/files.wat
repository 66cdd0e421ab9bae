;; files: file access through the first preopened directory (fd 3).
;; read: opens the path given as input and writes path_open's errno (4
;; bytes) followed by the first 4096 bytes of the file.
;; write: input is L (1 byte), a path of L bytes, then data; creates or
;; truncates the path and writes the data; output: path_open's errno,
;; fd_write's errno and the bytes written (4 bytes each).
;; symlink: input is L, a target of L bytes, then a link name; output:
;; path_symlink's errno.
(module
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_symlink" (func $path_symlink (param i32 i32 i32 i32 i32) (result i32)))
  (import "mcpzero" "input_size" (func $input_size (result i32)))
  (import "mcpzero" "input_read" (func $input_read (param i32 i32 i32) (result i32)))
  (import "mcpzero" "output_write" (func $output_write (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "read") (local $n i32) (local $errno i32)
    (local.set $n (call $input_read (i32.const 100) (i32.const 0) (i32.const 64)))
    (local.set $errno (call $path_open (i32.const 3) (i32.const 1) (i32.const 100) (local.get $n)
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 200)))
    (i32.store (i32.const 0) (local.get $errno))
    (call $output_write (i32.const 0) (i32.const 4))
    (if (i32.eqz (local.get $errno))
      (then
        (i32.store (i32.const 300) (i32.const 1024))
        (i32.store (i32.const 304) (i32.const 4096))
        (drop (call $fd_read (i32.load (i32.const 200)) (i32.const 300) (i32.const 1) (i32.const 400)))
        (call $output_write (i32.const 1024) (i32.load (i32.const 400))))))
  (func (export "write") (local $n i32) (local $l i32) (local $errno i32)
    (local.set $n (call $input_read (i32.const 1024) (i32.const 0) (i32.const 4096)))
    (local.set $l (i32.load8_u (i32.const 1024)))
    ;; oflags O_CREAT|O_TRUNC, rights fd_read|fd_write
    (local.set $errno (call $path_open (i32.const 3) (i32.const 1) (i32.const 1025) (local.get $l)
      (i32.const 9) (i64.const 66) (i64.const 0) (i32.const 0) (i32.const 200)))
    (i32.store (i32.const 0) (local.get $errno))
    (i32.store (i32.const 4) (i32.const -1))
    (i32.store (i32.const 8) (i32.const 0))
    (if (i32.eqz (local.get $errno))
      (then
        (i32.store (i32.const 300) (i32.add (i32.const 1025) (local.get $l)))
        (i32.store (i32.const 304) (i32.sub (i32.sub (local.get $n) (i32.const 1)) (local.get $l)))
        (i32.store (i32.const 4) (call $fd_write (i32.load (i32.const 200)) (i32.const 300) (i32.const 1) (i32.const 8)))))
    (call $output_write (i32.const 0) (i32.const 12)))
  (func (export "symlink") (local $n i32) (local $l i32)
    (local.set $n (call $input_read (i32.const 1024) (i32.const 0) (i32.const 4096)))
    (local.set $l (i32.load8_u (i32.const 1024)))
    (i32.store (i32.const 0) (call $path_symlink (i32.const 1025) (local.get $l) (i32.const 3)
      (i32.add (i32.const 1025) (local.get $l)) (i32.sub (i32.sub (local.get $n) (i32.const 1)) (local.get $l))))
    (call $output_write (i32.const 0) (i32.const 4))))
