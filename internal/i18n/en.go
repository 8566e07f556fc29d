package i18n

// English where it differs from the key: symbolic keys and plural forms.
// Every other key is its own English text.
func init() {
	register(EN, map[string]string{
		"type:string":      "string",
		"type:strings":     "strings",
		"type:stringArray": "strings",
		"type:int":         "int",
		"type:uint":        "uint",
		"type:int64":       "int",
		"type:uint64":      "uint",
		"type:float":       "number",
		"type:float64":     "number",
		"type:duration":    "duration",
		"type:bool":        "bool",
		// the report's denominator sources
		"den:imported": "imported",
		"den:summed":   "summed",
		"den:partial":  "partial",
		"den:missing":  "missing",
	})
}
