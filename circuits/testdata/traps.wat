;; Traps of call_indirect and of host I/O, and short input reads, for the
;; segment circuit's tests. 17 pages: more than the 1 MiB output limit.
(module
  (import "mcpzero" "input_read" (func $input_read (param i32 i32 i32) (result i32)))
  (import "mcpzero" "output_write" (func $output_write (param i32 i32)))
  (type $bin (func (param i64 i64) (result i64)))
  (type $un (func (param i64) (result i64)))
  (type $bin2 (func (param i64 i64) (result i64))) ;; equal to $bin
  (type $io (func (param i32 i32)))
  (type $rd (func (param i32 i32 i32) (result i32)))
  (memory 17)
  (data (i32.const 32) "secret")
  (table 6 funcref)
  ;; slot 0 is null, 1 and 2 module functions, 3 and 5 host functions, 4 null
  (elem (i32.const 1) $add2 $neg $output_write)
  (elem (i32.const 5) $input_read)
  (func $add2 (type $bin) (i64.add (local.get 0) (local.get 1)))
  (func $neg (type $un) (i64.sub (i64.const 0) (local.get 0)))
  ;; slot $i called as a binary function: 1 calls $add2, 0 is null, 2 has
  ;; another type, 3 is a host function of another type, 4 is null, 6 and
  ;; up are outside the table
  (func (export "indirect") (param $i i32) (result i64)
    (call_indirect (type $bin2) (i64.const 7) (i64.const 5) (local.get $i)))
  ;; output_write through the table: "secret", or $len bytes from $src
  (func (export "hostcall") (param $src i32) (param $len i32)
    (call_indirect (type $io) (local.get $src) (local.get $len) (i32.const 3)))
  ;; input_read through the table into 16, then the count
  (func (export "hostread") (param $off i32) (param $len i32) (result i32)
    (call_indirect (type $rd) (i32.const 16) (local.get $off) (local.get $len) (i32.const 5)))
  ;; input_read(dst, off, len), then output_write of what it read
  (func (export "read") (param $dst i32) (param $off i32) (param $len i32) (result i32)
    (local $n i32)
    (local.set $n (call $input_read (local.get $dst) (local.get $off) (local.get $len)))
    (call $output_write (local.get $dst) (local.get $n))
    (local.get $n))
  ;; output_write(16, $pre), then output_write(src, len)
  (func (export "write") (param $pre i32) (param $src i32) (param $len i32)
    (call $output_write (i32.const 16) (local.get $pre))
    (call $output_write (local.get $src) (local.get $len)))
)
