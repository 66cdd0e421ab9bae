// Package auditcli is the offline check of an .audit file shared by the
// auditor's binary (`mcpzero-verify audit FILE --key kernel.pub`) and the
// operator's (`mcpzero audit verify-file FILE --key kernel.pub`). It links
// auditlog and verifier only: no kernel, prover or store.
package auditcli
