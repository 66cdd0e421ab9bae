;; bigmem: declares 100 pages of memory, more than small agents allow.
(module
  (memory (export "memory") 100)
  (func (export "run")))
