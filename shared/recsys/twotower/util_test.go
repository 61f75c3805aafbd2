package twotower

import (
	"encoding/json"
	"reflect"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func configsEqual(a, b Config) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return reflect.DeepEqual(x, y)
}
