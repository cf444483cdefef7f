package nhanh

import "time"

// Entity is the schema entity name of a conversation: schemas/nhanh/conversation.
const Entity = "nhanh/conversation"

// Conversation is one vPage conversation (a comment thread or a message
// thread between a page and a customer): the Avro value
// connector.nhanh.conversation.Value. Field names are Nhanh's. The fields
// both of the document's examples carry are required; the others are nil
// when Nhanh leaves them out (or sends null).
type Conversation struct {
	// ID is Nhanh's conversation id, e.g. "331526780045341_7521482117936821".
	ID string `avro:"id"`
	// Channel is the social network the conversation is on (1 in both of
	// the document's examples, which does not list the values).
	Channel int32 `avro:"channel"`
	// Type is 1 for a comment thread, 2 for a message thread.
	Type int32 `avro:"type"`
	// CustomerAvatar is the URL of the customer's picture.
	CustomerAvatar string `avro:"customerAvatar"`
	// PageID is the id of the page the conversation belongs to.
	PageID string `avro:"pageId"`
	// PageUserID is the customer's id as the page sees it.
	PageUserID string `avro:"pageUserId"`
	// PageUserName is the customer's display name.
	PageUserName string `avro:"pageUserName"`
	// HasReply tells whether the page has answered.
	HasReply bool `avro:"hasReply"`
	// AssignedGroupID is the group of agents the conversation is assigned
	// to ("" when none); nil when Nhanh left it out.
	AssignedGroupID *string `avro:"assignedGroupId"`
	// HasPhone tells whether the customer has left a phone number.
	HasPhone bool `avro:"hasPhone"`
	// CreatedAt is when the conversation started (unix seconds on the wire).
	CreatedAt time.Time `avro:"createdAt"`
	// UpdatedAt is the conversation's last interaction (unix seconds on
	// the wire); it is the time the source pages by.
	UpdatedAt time.Time `avro:"updatedAt"`
	// LastSeenMessageAt is when the page last saw the customer's messages
	// (unix seconds on the wire); nil when Nhanh left it out.
	LastSeenMessageAt *time.Time `avro:"lastSeenMessageAt"`
	// LastMessage is the text of the latest message or comment.
	LastMessage string `avro:"lastMessage"`
	// Status is 1 unread, 2 read.
	Status int32 `avro:"status"`
	// IsFromLive is 1 for a comment made on a live stream; nil when Nhanh
	// left it out.
	IsFromLive *int32 `avro:"isFromLive"`
	// PagePostID is the post a comment thread hangs off; nil when Nhanh
	// left it out (message threads).
	PagePostID *string `avro:"pagePostId"`
	// ExtraJSON holds the top-level fields Nhanh sent that the schema does
	// not know, as a JSON object, or nil when there were none.
	ExtraJSON *string `avro:"extra_json"`
}

// Key is the Kafka key of a conversation: connector.nhanh.conversation.Key.
type Key struct {
	ID string `avro:"id"`
}
