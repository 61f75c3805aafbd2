package etl

import "path"

// globMatch matches a base name against a job's glob; a malformed pattern
// matches nothing.
func globMatch(pattern, name string) bool {
	ok, err := path.Match(pattern, name)
	return err == nil && ok
}
