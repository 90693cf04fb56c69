// Package doccheck holds no code: its tests check that the repository's
// documentation tells the truth about the product. The README stays short
// and its links resolve, each topic has one home, every example uses the
// app's one index and one name, the webhook checks and audit-policy
// comments hold, build.sh explains itself, and no process notes remain.
package doccheck
