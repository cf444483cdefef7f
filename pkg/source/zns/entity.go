package zns

import "time"

// Entity is the schema entity name of a ZNS message, shared by the
// interits_zns and etelecom_zns sources: schemas/zalo/zns_message.
const Entity = "zalo/zns_message"

// Message is one version of one ZNS message: the Avro value
// connector.zalo.zns_message.Value. Field names are the vendor's. A nil
// pointer is a field the vendor left out (or sent as null); an empty time
// string counts as left out.
type Message struct {
	// ID is the message id, digits kept exactly whether the vendor sent a
	// JSON string or number.
	ID string `avro:"id"`
	// ShopID, UserID, CampaignID, JourneyID, TemplateID and ZlUserID are
	// ids kept as strings, accepted as JSON strings or integers.
	ShopID     *string `avro:"shop_id"`
	UserID     *string `avro:"user_id"`
	OAID       *string `avro:"oa_id"`
	CampaignID *string `avro:"campaign_id"`
	JourneyID  *string `avro:"journey_id"`
	MsgID      *string `avro:"msg_id"`
	TrackingID *string `avro:"tracking_id"`
	TemplateID *string `avro:"template_id"`
	Type       *string `avro:"type"`
	Status     *string `avro:"status"`
	Phone      *string `avro:"phone"`
	// TemplateData is the template parameters, the JSON object byte for
	// byte as the vendor sent it.
	TemplateData *string `avro:"template_data"`
	// ZlUserID, IsDevelopment and RequestTime are sent by eTelecom only.
	ZlUserID       *string    `avro:"zl_user_id"`
	IsDevelopment  *bool      `avro:"is_development"`
	IsCharged      *bool      `avro:"is_charged"`
	FeeMain        *int64     `avro:"fee_main"`
	FeeToken       *int64     `avro:"fee_token"`
	ErrorCode      *int64     `avro:"error_code"`
	ErrorMessage   *string    `avro:"error_message"`
	Timeout        *int64     `avro:"timeout"`
	DeliveryStatus *string    `avro:"delivery_status"`
	DeliveryTime   *time.Time `avro:"delivery_time"`
	RequestTime    *time.Time `avro:"request_time"`
	SentTime       *time.Time `avro:"sent_time"`
	Rate           *int64     `avro:"rate"`
	Note           *string    `avro:"note"`
	// Feedback is the recipient's feedback, the JSON array byte for byte
	// as the vendor sent it.
	Feedback   *string    `avro:"feedback"`
	SubmitTime *time.Time `avro:"submit_time"`
	// CreatedAt and UpdatedAt are required; every time is in UTC.
	CreatedAt time.Time `avro:"created_at"`
	UpdatedAt time.Time `avro:"updated_at"`
	// ExtraJSON holds the top-level fields the vendor sent that the schema
	// does not know, as a JSON object, or nil when there were none.
	ExtraJSON *string `avro:"extra_json"`
}

// Key is the Kafka key of a ZNS message: connector.zalo.zns_message.Key.
type Key struct {
	ID string `avro:"id"`
}
