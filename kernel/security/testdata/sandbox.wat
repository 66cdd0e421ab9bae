;; sandbox: probes what a plugin with the deterministic "wasi" capability
;; can reach. Each method writes what it observed to its output.
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_accept" (func $sock_accept (param i32 i32 i32) (result i32)))
  (import "mcpzero" "output_write" (func $output_write (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "/etc/passwd")

  ;; realtime clock: errno (4 bytes) then the time in ns (8 bytes)
  (func (export "clock")
    (i32.store (i32.const 0) (call $clock_time_get (i32.const 0) (i64.const 0) (i32.const 8)))
    (call $output_write (i32.const 0) (i32.const 4))
    (call $output_write (i32.const 8) (i32.const 8)))

  ;; errno then 16 random bytes
  (func (export "random")
    (i32.store (i32.const 0) (call $random_get (i32.const 16) (i32.const 16)))
    (call $output_write (i32.const 0) (i32.const 4))
    (call $output_write (i32.const 16) (i32.const 16)))

  ;; errno of fd_prestat_get(3) and of path_open(3, "/etc/passwd")
  (func (export "files")
    (i32.store (i32.const 0) (call $fd_prestat_get (i32.const 3) (i32.const 200)))
    (i32.store (i32.const 4) (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 11)
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 200)))
    (call $output_write (i32.const 0) (i32.const 8)))

  ;; errno of sock_accept(3)
  (func (export "socket")
    (i32.store (i32.const 0) (call $sock_accept (i32.const 3) (i32.const 0) (i32.const 200)))
    (call $output_write (i32.const 0) (i32.const 4)))
)
