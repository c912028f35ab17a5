package catalog

// Attribute names shared by every item of the main table.
const (
	AttrPK     = "pk"
	AttrSK     = "sk"
	AttrGSI1PK = "gsi1pk"
	AttrGSI1SK = "gsi1sk"
	AttrGSI2PK = "gsi2pk"
	AttrGSI2SK = "gsi2sk"
	AttrTTL    = "ttl"  // epoch seconds; DynamoDB deletes the item after it
	AttrKind   = "kind" // the entity type of an item, e.g. "MEMBER", "OUTBOX"
)

// KindOutbox is the AttrKind value of outbox items; the stream relay is
// filtered to inserts of these.
const KindOutbox = "OUTBOX"

// Index names of the main table.
const (
	// IndexGSI1 projects whole items: lists read from it (audit by actor,
	// pending outbox events).
	IndexGSI1 = "gsi1"
	// IndexGSI2 projects keys only: sparse, time-bucketed indexes of due
	// work (lots to expire, ...). Updates of an item's other attributes
	// cost the index nothing.
	IndexGSI2 = "gsi2"
)

// Projections of an index.
const (
	ProjectionAll      = "ALL"
	ProjectionKeysOnly = "KEYS_ONLY"
)

// GSI is a global secondary index with string keys.
type GSI struct {
	Name         string
	PartitionKey string
	SortKey      string
	Projection   string // ProjectionAll or ProjectionKeysOnly
}

// Table is a DynamoDB table definition. All key attributes are strings.
type Table struct {
	// LogicalName is the CDK construct id; CloudFormation names the table.
	LogicalName  string
	PartitionKey string
	SortKey      string
	GSIs         []GSI
	TTLAttribute string
	// StreamKind, when set, enables a NEW_IMAGE stream whose consumer is
	// filtered to inserts of items with this AttrKind.
	StreamKind string
}

// MainTable is the single table holding every entity (see docs/data-model.md).
var MainTable = Table{
	LogicalName:  "Main",
	PartitionKey: AttrPK,
	SortKey:      AttrSK,
	GSIs: []GSI{
		{Name: IndexGSI1, PartitionKey: AttrGSI1PK, SortKey: AttrGSI1SK, Projection: ProjectionAll},
		{Name: IndexGSI2, PartitionKey: AttrGSI2PK, SortKey: AttrGSI2SK, Projection: ProjectionKeysOnly},
	},
	TTLAttribute: AttrTTL,
	StreamKind:   KindOutbox,
}

// Tables returns every table of the system.
func Tables() []Table { return []Table{MainTable} }

// EventSource is the EventBridge source of every domain event.
const EventSource = "ark.member"

// Environment variable names the functions read. The CDK stack sets them and
// internal/config reads them; both use these names.
const (
	EnvStage            = "ARK_STAGE"
	EnvTableName        = "TABLE_NAME"
	EnvEventBusName     = "EVENT_BUS_NAME"
	EnvAppSecretARN     = "APP_SECRET_ARN"
	EnvLogLevel         = "LOG_LEVEL"
	EnvDynamoDBEndpoint = "DYNAMODB_ENDPOINT"
)
