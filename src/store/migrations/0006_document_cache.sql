CREATE TABLE "certificate_documents" (
	"region_code" text NOT NULL,
	"identifier" text NOT NULL,
	"format" text NOT NULL,
	"bytes" "bytea" NOT NULL,
	"sm3" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "certificate_documents_region_code_identifier_format_pk" PRIMARY KEY("region_code","identifier","format"),
	CONSTRAINT "certificate_documents_format" CHECK ("format" in ('ofd', 'pdf'))
);
--> statement-breakpoint
CREATE TABLE "document_seals" (
	"seal_key_id" text PRIMARY KEY NOT NULL,
	"seal" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
