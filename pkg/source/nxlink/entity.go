package nxlink

import "time"

// Entity is the schema entity name of a customer: schemas/nxlink/customer.
const Entity = "nxlink/customer"

// Customer is one nxlink CDP customer: the Avro value
// connector.nxlink.customer.Value. Field names are nxlink's, spelling
// included (whatsApp_phone, whatApp_subscribe). A nil pointer is a field
// nxlink sent as null or left out.
type Customer struct {
	// ID is the customer id, a 64-bit integer kept exactly.
	ID            int64   `avro:"id"`
	FirstName     *string `avro:"first_name"`
	LastName      *string `avro:"last_name"`
	FullName      *string `avro:"full_name"`
	SMSPhone      *string `avro:"sms_phone"`
	WhatsAppPhone *string `avro:"whatsApp_phone"`
	ViberPhone    *string `avro:"viber_phone"`
	Line          *string `avro:"line"`
	Messenger     *string `avro:"messenger"`
	Instagram     *string `avro:"instagram"`
	Email         *string `avro:"email"`
	Country       *string `avro:"country"`
	// Birthday is kept as nxlink sends it ("2024-08-01"), not converted.
	Birthday         *string `avro:"birthday"`
	Remark           *string `avro:"remark"`
	SourceType       *int64  `avro:"source_type"`
	SourceChannelKey *string `avro:"source_channel_key"`
	Gender           *int64  `avro:"gender"`
	// CreatedAt and UpdatedAt are in UTC, read from nxlink's zone-less
	// times in the configured time zone.
	CreatedAt        time.Time `avro:"created_at"`
	UpdatedAt        time.Time `avro:"updated_at"`
	Status           *int64    `avro:"status"`
	WhatAppSubscribe *string   `avro:"whatApp_subscribe"`
	SMSSubscribe     *string   `avro:"sms_subscribe"`
	// CustomizeField is the JSON document nxlink sends inside a string,
	// kept exactly; an object sent unquoted is kept as its JSON text.
	CustomizeField *string `avro:"customize_field"`
	TenantID       int64   `avro:"tenant_id"`
	Weight         *int64  `avro:"weight"`
	Web            *string `avro:"web"`
	// Tags is the JSON array of tag objects as nxlink sent it, byte for byte.
	Tags *string `avro:"tags"`
	// ExtraJSON holds the fields nxlink sent that the schema does not know,
	// as a JSON object, or nil when there were none.
	ExtraJSON *string `avro:"extra_json"`
}

// Key is the Kafka key of a customer: connector.nxlink.customer.Key.
type Key struct {
	TenantID int64 `avro:"tenant_id"`
	ID       int64 `avro:"id"`
}
