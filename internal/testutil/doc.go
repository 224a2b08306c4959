// Package testutil holds helpers shared by Floe's tests. It has no
// non-test users.
package testutil
