;; selftest: the smallest provable plugin (docs/KERNEL.md, "Proofs").
;;
;; Method (type () -> (), docs/ABI.md):
;;   check  computes the multiplicative hash of the plugins/examples/hash
;;          plugin over "abc" in registers and traps unless it is
;;          0xda971a186d27e929. No input, no output, no memory: its 25 steps
;;          and its 30-entry program fit the smallest circuit shape, whose
;;          dev setup takes about a minute, so the demo and the kernel's
;;          short tests prove it.
(module
  (func (export "check")
    (local $h i64)
    (local.set $h (i64.const 0xcbf29ce484222325))
    (local.set $h (i64.add (i64.mul (local.get $h) (i64.const 0x100000001b3)) (i64.const 0x61)))
    (local.set $h (i64.add (i64.mul (local.get $h) (i64.const 0x100000001b3)) (i64.const 0x62)))
    (local.set $h (i64.add (i64.mul (local.get $h) (i64.const 0x100000001b3)) (i64.const 0x63)))
    (if (i64.ne (local.get $h) (i64.const 0xda971a186d27e929))
      (then unreachable))))
