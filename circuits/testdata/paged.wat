;; Paged memory for the segment circuit's tests: data far above address 0,
;; accesses spread over three 64 KiB pages (many 256-byte blocks), a copy
;; from input into high memory, a store at the last bytes of memory, and
;; calls through a funcref table of three 32-slot blocks.
(module
  (import "mcpzero" "input_read" (func $input_read (param i32 i32 i32) (result i32)))
  (memory 3)
  (data (i32.const 0x1F000) "paged memory: far from zero")
  ;; walk(stride, n): for i < n, store i at (i*stride) mod (3*65536 - 8) as
  ;; an i64, read it back with the data byte at 0x1F000 + i mod 27, and sum.
  (func (export "walk") (param $stride i32) (param $n i32) (result i64)
    (local $i i32) (local $a i32) (local $acc i64)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $a (i32.rem_u (i32.mul (local.get $i) (local.get $stride)) (i32.const 196600)))
        (i64.store (local.get $a) (i64.extend_i32_u (local.get $i)))
        (local.set $acc (i64.add (local.get $acc) (i64.load (local.get $a))))
        (local.set $acc (i64.add (local.get $acc)
          (i64.load8_u offset=0x1F000 (i32.rem_u (local.get $i) (i32.const 27)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $acc))
  ;; top(a): store at a (the last 8 bytes: 196600; past them traps)
  (func (export "top") (param $a i32) (result i64)
    (i64.store (local.get $a) (i64.const 0x0102030405060708))
    (i64.load (local.get $a)))
  ;; copy(dst): the input to dst, then the sum of its bytes from memory
  (func (export "copy") (param $dst i32) (result i32)
    (local $n i32) (local $s i32)
    (local.set $n (call $input_read (local.get $dst) (i32.const 0) (i32.const 64)))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (local.set $s (i32.add (local.get $s) (i32.load8_u (i32.add (local.get $dst) (local.get $n)))))
        (br $l)))
    (local.get $s))
  ;; dispatch(n): the sum over i < n of the function in slot (i*37) mod 70
  ;; (slots 0, 37, 4, 41, ...: every block of the table), each f(i) = i+k
  (type $unop (func (param i32) (result i32)))
  (table 70 funcref)
  (elem (i32.const 0) $a)
  (elem (i32.const 4) $b)
  (elem (i32.const 37) $c)
  (elem (i32.const 41) $a)
  (elem (i32.const 69) $b)
  (func $a (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $b (param i32) (result i32) (i32.add (local.get 0) (i32.const 2)))
  (func $c (param i32) (result i32) (i32.add (local.get 0) (i32.const 3)))
  (func (export "dispatch") (param $n i32) (result i32)
    (local $i i32) (local $s i32) (local $slot i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $slot (i32.rem_u (i32.mul (local.get $i) (i32.const 37)) (i32.const 70)))
        (local.set $s (i32.add (local.get $s)
          (call_indirect (type $unop) (local.get $i) (local.get $slot))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $s))
)
