package nxlink

import "time"

// Entity is the schema entity name of a customer: schemas/nxlink/customer.
const Entity = "nxlink/customer"

// Customer is one nxlink CDP customer: the Avro value
// connector.nxlink.customer.Value. Field names are nxlink's, spelling
// included (whatsApp_phone, whatApp_subscribe), in the avro tags and in
// the json tags decodeCustomer reads the members by. A nil pointer is a
// field nxlink sent as null or left out.
type Customer struct {
	// ID is the customer id, a 64-bit integer kept exactly.
	ID            int64   `avro:"id" json:"id"`
	FirstName     *string `avro:"first_name" json:"first_name"`
	LastName      *string `avro:"last_name" json:"last_name"`
	FullName      *string `avro:"full_name" json:"full_name"`
	SMSPhone      *string `avro:"sms_phone" json:"sms_phone"`
	WhatsAppPhone *string `avro:"whatsApp_phone" json:"whatsApp_phone"`
	ViberPhone    *string `avro:"viber_phone" json:"viber_phone"`
	Line          *string `avro:"line" json:"line"`
	Messenger     *string `avro:"messenger" json:"messenger"`
	Instagram     *string `avro:"instagram" json:"instagram"`
	Email         *string `avro:"email" json:"email"`
	Country       *string `avro:"country" json:"country"`
	// Birthday is kept as nxlink sends it ("2024-08-01"), not converted.
	Birthday         *string `avro:"birthday" json:"birthday"`
	Remark           *string `avro:"remark" json:"remark"`
	SourceType       *int64  `avro:"source_type" json:"source_type"`
	SourceChannelKey *string `avro:"source_channel_key" json:"source_channel_key"`
	Gender           *int64  `avro:"gender" json:"gender"`
	// CreatedAt and UpdatedAt are in UTC, read from nxlink's zone-less
	// times in the configured time zone.
	CreatedAt        time.Time `avro:"created_at" json:"created_at"`
	UpdatedAt        time.Time `avro:"updated_at" json:"updated_at"`
	Status           *int64    `avro:"status" json:"status"`
	WhatAppSubscribe *string   `avro:"whatApp_subscribe" json:"whatApp_subscribe"`
	SMSSubscribe     *string   `avro:"sms_subscribe" json:"sms_subscribe"`
	// CustomizeField is the JSON document nxlink sends inside a string,
	// kept exactly; an object sent unquoted is kept as its JSON text.
	CustomizeField *string `avro:"customize_field" json:"customize_field"`
	TenantID       int64   `avro:"tenant_id" json:"tenant_id"`
	Weight         *int64  `avro:"weight" json:"weight"`
	Web            *string `avro:"web" json:"web"`
	// Tags is the JSON array of tag objects as nxlink sent it, byte for byte.
	Tags *string `avro:"tags" json:"tags"`
	// ExtraJSON holds the fields nxlink sent that the schema does not know,
	// as a JSON object, or nil when there were none.
	ExtraJSON *string `avro:"extra_json" json:"-"`
}

// Key is the Kafka key of a customer: connector.nxlink.customer.Key.
type Key struct {
	TenantID int64 `avro:"tenant_id"`
	ID       int64 `avro:"id"`
}
