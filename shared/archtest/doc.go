// Package archtest holds no code: its tests check the dependency direction
// of the module (ports ← domain ← api ← platform ← functions, see
// docs/architecture.md) on the packages as the go command lists them.
package archtest
