// Package schemas ships the connector's Avro schemas.
//
// Shared named types live at the root (source.avsc). Each entity has a folder
// <provider>/<entity>/ holding key.avsc, value.avsc (the entity record) and
// envelope.avsc (the Debezium-style change event). Files reference named
// types of other files by their full name; pkg/schema resolves them.
package schemas

import "embed"

// FS holds every .avsc file: the shared types at the root and the entity
// folders two levels below it (<provider>/<entity>/*.avsc). A schema file
// placed at any other depth is not embedded.
//
//go:embed *.avsc */*/*.avsc
var FS embed.FS
