package tiki

import "time"

// Entity is the schema entity name of a form response: schemas/tiki/form_response.
const Entity = "tiki/form_response"

// FormResponse is one user's answer to a lead form: the Avro value
// connector.tiki.form_response.Value.
type FormResponse struct {
	ID        string    `avro:"id"`
	FormID    string    `avro:"form_id"`
	CreatedAt time.Time `avro:"created_at"`
	// Inputs is the form's answers as the vendor sent them (a JSON object
	// that differs per form).
	Inputs string `avro:"inputs"`
	// ExtraJSON holds the fields Tiki sent that the schema does not know, as
	// a JSON object, or nil when there were none.
	ExtraJSON *string `avro:"extra_json"`
}

// Key is the Kafka key of a form response: connector.tiki.form_response.Key.
type Key struct {
	ID string `avro:"id"`
}
