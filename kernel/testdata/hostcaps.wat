;; hostcaps: calls each capability-gated host function (clock_now,
;; random_get, http_get) and reads a WASI file, writing what it got, for the
;; kernel's tests of HostCapabilities, FileSystems and replay
;; (kernel/capabilities_test.go).
(module
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "mcpzero" "clock_now" (func $clock_now (result i64)))
  (import "mcpzero" "random_get" (func $random_get (param i32 i32)))
  (import "mcpzero" "http_get" (func $http_get (param i32 i32 i32 i32) (result i32)))
  (import "mcpzero" "input_size" (func $input_size (result i32)))
  (import "mcpzero" "input_read" (func $input_read (param i32 i32 i32) (result i32)))
  (import "mcpzero" "output_write" (func $output_write (param i32 i32)))
  (memory (export "memory") 1)
  ;; the time in ns, 8 bytes little-endian
  (func (export "clock")
    (i64.store (i32.const 0) (call $clock_now))
    (call $output_write (i32.const 0) (i32.const 8)))
  ;; as many random bytes as the input has bytes
  (func (export "random") (local $n i32)
    (local.set $n (call $input_size))
    (call $random_get (i32.const 1024) (local.get $n))
    (call $output_write (i32.const 1024) (local.get $n)))
  ;; GETs the URL given as input: http_get's result (4 bytes), then the body
  (func (export "http") (local $n i32) (local $r i32)
    (local.set $n (call $input_read (i32.const 100) (i32.const 0) (i32.const 900)))
    (local.set $r (call $http_get (i32.const 100) (local.get $n) (i32.const 1024) (i32.const 4096)))
    (i32.store (i32.const 0) (local.get $r))
    (call $output_write (i32.const 0) (i32.const 4))
    (if (i32.gt_s (local.get $r) (i32.const 0))
      (then (call $output_write (i32.const 1024) (local.get $r)))))
  ;; opens the path given as input under the first preopened directory
  ;; (fd 3) and reads up to 4096 bytes of it, then asks for the time:
  ;; writes the time (8 bytes), path_open's errno (4 bytes), the bytes read
  (func (export "read") (local $n i32) (local $errno i32)
    (local.set $n (call $input_read (i32.const 100) (i32.const 0) (i32.const 64)))
    (local.set $errno (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (local.get $n)
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 200)))
    (i32.store (i32.const 400) (i32.const 0))
    (if (i32.eqz (local.get $errno))
      (then
        (i32.store (i32.const 300) (i32.const 1024))
        (i32.store (i32.const 304) (i32.const 4096))
        (drop (call $fd_read (i32.load (i32.const 200)) (i32.const 300) (i32.const 1) (i32.const 400)))))
    (i64.store (i32.const 0) (call $clock_now))
    (i32.store (i32.const 8) (local.get $errno))
    (call $output_write (i32.const 0) (i32.const 12))
    (call $output_write (i32.const 1024) (i32.load (i32.const 400)))))
