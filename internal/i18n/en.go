package i18n

import "golang.org/x/text/feature/plural"

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
	// Counts that are one in English read in the singular.
	registerMsg(EN, "Total: %d files — valid: %d — invalid: %d — indeterminate: %d",
		plural.Selectf(1, "%d",
			"=1", "Total: %[1]d file — valid: %[2]d — invalid: %[3]d — indeterminate: %[4]d",
			"other", "Total: %[1]d files — valid: %[2]d — invalid: %[3]d — indeterminate: %[4]d"))
	registerMsg(EN, "%d records", plural.Selectf(1, "%d", "=1", "%[1]d record", "other", "%[1]d records"))
}
