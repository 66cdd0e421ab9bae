;; Programs for the fuel tests. Expected instruction counts are derived in
;; the comments and checked by fuel_test.go.
(module
  ;; count(n) = n + (n-1) + ... + 1.
  ;; Executed: block, loop (2); per iteration with n > 0: local.get, i32.eqz,
  ;; br_if, local.get, local.get, i32.add, local.set, local.get, i32.const,
  ;; i32.sub, local.set, br (12); last test: local.get, i32.eqz, br_if (3);
  ;; after the block: local.get, end (2). Total 12n + 7.
  (func $count (export "count") (param $n i32) (result i32) (local $acc i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $acc))

  ;; spin never returns: a tight loop.
  (func (export "spin")
    (loop $l (br $l)))

  ;; fib(n), loop-free and exponential: fuel, not a loop-header check, must
  ;; stop it. fib(n) for n < 2: local.get, i32.const, i32.lt_u, if,
  ;; local.get, else... see TestExactCounts.
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else
        (i32.add
          (call $fib (i32.sub (local.get $n) (i32.const 1)))
          (call $fib (i32.sub (local.get $n) (i32.const 2)))))))

  ;; deep(n) recurses n times without loops.
  (func $deep (export "deep") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $deep (i32.sub (local.get $n) (i32.const 1)))))))

  ;; trap is the plugin's own unreachable, not a fuel trap.
  (func (export "trap") (param $n i32) (result i32)
    (if (local.get $n) (then unreachable))
    (local.get $n))

  ;; mix exercises every control construct; used for the differential test
  ;; of segment metering against per-instruction metering.
  (func $mix (export "mix") (param $x i32) (result i32) (local $i i32) (local $acc i32)
    (local.set $i (i32.and (local.get $x) (i32.const 15)))
    (block $out
      (loop $l
        (block $b2 (block $b1 (block $b0
          (br_table $b0 $b1 $b2 (i32.rem_u (local.get $i) (i32.const 3))))
          ;; $b0
          (local.set $acc (i32.add (local.get $acc) (i32.const 3)))
          (br $b2))
          ;; $b1
          (if (i32.and (local.get $i) (i32.const 1))
            (then (local.set $acc (i32.mul (local.get $acc) (i32.const 5))))
            (else (local.set $acc (i32.sub (local.get $acc) (i32.const 7))))))
        ;; $b2
        (local.set $acc (select (local.get $acc) (i32.const 1) (local.get $i)))
        (if (i32.gt_u (local.get $acc) (i32.const 100000)) (then (br $out)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br_if $l (i32.ge_s (local.get $i) (i32.const 0)))
        nop))
    (if (i32.eq (local.get $x) (i32.const 99)) (then (return (i32.const -1))))
    (block (result i32)
      (drop (call $count (i32.and (local.get $x) (i32.const 7))))
      (i32.add (local.get $acc) (i32.shr_u (local.get $x) (i32.const 4)))))

  ;; grow asks for n more pages of memory; -1 when past the limit.
  (memory 1)
  (func (export "grow") (param $n i32) (result i32)
    (memory.grow (local.get $n)))
)
