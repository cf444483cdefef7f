package source

import "github.com/go-json-experiment/json/jsontext"

// JSONType names the JSON type of the valid value v, for error messages:
// "string", "object", "array", "boolean", "null" or "number".
func JSONType(v jsontext.Value) string {
	switch v.Kind() {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// JSONTypeArticle is JSONType with its article: "a string", "an object",
// "an array", "a boolean", "a number" or "null".
func JSONTypeArticle(v jsontext.Value) string {
	switch k := JSONType(v); k {
	case "null":
		return k
	case "object", "array":
		return "an " + k
	default:
		return "a " + k
	}
}
