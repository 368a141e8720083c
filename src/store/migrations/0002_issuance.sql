CREATE TABLE "certificate_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source_record_id" text NOT NULL,
	"region_code" text NOT NULL,
	"identifier" text,
	"event" text NOT NULL,
	"from_state" text,
	"to_state" text NOT NULL,
	"reason" text,
	"source_version" integer,
	"actor_type" text NOT NULL,
	"actor_id" text,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "certificates" (
	"identifier" text PRIMARY KEY NOT NULL,
	"serial" text NOT NULL,
	"version" integer NOT NULL,
	"source_record_id" text NOT NULL,
	"region_code" text NOT NULL,
	"kind_code" text NOT NULL,
	"certificate_number" text NOT NULL,
	"holder_id" uuid NOT NULL,
	"status" text NOT NULL,
	"status_reason" text,
	"status_changed_at" timestamp with time zone NOT NULL,
	"issue_date" text NOT NULL,
	"valid_from" text,
	"valid_to" text,
	"catalog_version" integer NOT NULL,
	"signed_data_enc" text NOT NULL,
	"signed_data_digest" text NOT NULL,
	"signature" text NOT NULL,
	"seal_key_id" text NOT NULL,
	"signed_at" timestamp with time zone NOT NULL,
	"previous_identifier" text,
	"next_identifier" text,
	"event" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "client_request_nonces" (
	"client_id" text NOT NULL,
	"signature_hash" text NOT NULL,
	"seen_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "clients" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"region_code" text NOT NULL,
	"secret_hash_enc" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"holder_id" uuid NOT NULL,
	"identifier" text NOT NULL,
	"region_code" text NOT NULL,
	"kind" text NOT NULL,
	"title" text NOT NULL,
	"outbox_id" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	"read_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "holders" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"id_index" text NOT NULL,
	"id_type" text NOT NULL,
	"id_enc" text NOT NULL,
	"name_enc" text NOT NULL,
	"phone_enc" text,
	"phone_index" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "import_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"file_name" text NOT NULL,
	"file_digest" text NOT NULL,
	"total_rows" integer NOT NULL,
	"processed_rows" integer DEFAULT 0 NOT NULL,
	"status" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "intake_records" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source_record_id" text NOT NULL,
	"source_version" integer NOT NULL,
	"client_id" text NOT NULL,
	"event" text NOT NULL,
	"kind_code" text NOT NULL,
	"region_code" text NOT NULL,
	"status" text NOT NULL,
	"identifier" text,
	"errors" jsonb,
	"event_date" text,
	"received_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "licences" (
	"source_record_id" text PRIMARY KEY NOT NULL,
	"region_code" text NOT NULL,
	"kind_code" text NOT NULL,
	"certificate_number" text NOT NULL,
	"holder_id" uuid NOT NULL,
	"state" text NOT NULL,
	"source_version" integer NOT NULL,
	"serial" text,
	"current_identifier" text,
	"valid_to" text,
	"paper_data_enc" text,
	"first_electronic_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "nonstandard_items" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source_record_id" text NOT NULL,
	"source_version" integer NOT NULL,
	"client_id" text NOT NULL,
	"event" text NOT NULL,
	"kind_code" text NOT NULL,
	"region_code" text NOT NULL,
	"record_enc" text NOT NULL,
	"errors" jsonb NOT NULL,
	"status" text NOT NULL,
	"corrections" integer DEFAULT 0 NOT NULL,
	"identifier" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolved_by" text
);
--> statement-breakpoint
CREATE TABLE "outages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"region_code" text NOT NULL,
	"department" text,
	"cause" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"cleared_at" timestamp with time zone,
	"deadline" timestamp with time zone,
	"status" text NOT NULL,
	"repushed_records" integer DEFAULT 0 NOT NULL,
	"completed_at" timestamp with time zone,
	"reported_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"topic" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text
);
--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_source_record_id_licences_source_record_id_fk" FOREIGN KEY ("source_record_id") REFERENCES "public"."licences"("source_record_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_holder_id_holders_id_fk" FOREIGN KEY ("holder_id") REFERENCES "public"."holders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_holder_id_holders_id_fk" FOREIGN KEY ("holder_id") REFERENCES "public"."holders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "licences" ADD CONSTRAINT "licences_holder_id_holders_id_fk" FOREIGN KEY ("holder_id") REFERENCES "public"."holders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "certificate_events_source" ON "certificate_events" USING btree ("source_record_id","id");--> statement-breakpoint
CREATE INDEX "certificate_events_region_at" ON "certificate_events" USING btree ("region_code","at");--> statement-breakpoint
CREATE UNIQUE INDEX "certificates_serial_version" ON "certificates" USING btree ("serial","version");--> statement-breakpoint
CREATE INDEX "certificates_region_kind_status" ON "certificates" USING btree ("region_code","kind_code","status");--> statement-breakpoint
CREATE INDEX "certificates_source" ON "certificates" USING btree ("source_record_id","version");--> statement-breakpoint
CREATE INDEX "certificates_holder" ON "certificates" USING btree ("holder_id");--> statement-breakpoint
CREATE INDEX "certificates_region_signed" ON "certificates" USING btree ("region_code","signed_at");--> statement-breakpoint
CREATE UNIQUE INDEX "client_request_nonces_pk" ON "client_request_nonces" USING btree ("client_id","signature_hash");--> statement-breakpoint
CREATE INDEX "client_request_nonces_seen" ON "client_request_nonces" USING btree ("seen_at");--> statement-breakpoint
CREATE INDEX "clients_region" ON "clients" USING btree ("region_code");--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_outbox" ON "deliveries" USING btree ("outbox_id");--> statement-breakpoint
CREATE INDEX "deliveries_holder" ON "deliveries" USING btree ("holder_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "holders_id_index" ON "holders" USING btree ("id_index");--> statement-breakpoint
CREATE UNIQUE INDEX "intake_records_source_version" ON "intake_records" USING btree ("source_record_id","source_version");--> statement-breakpoint
CREATE INDEX "intake_records_region_received" ON "intake_records" USING btree ("region_code","received_at");--> statement-breakpoint
CREATE INDEX "licences_region_kind_state" ON "licences" USING btree ("region_code","kind_code","state");--> statement-breakpoint
CREATE INDEX "licences_holder" ON "licences" USING btree ("holder_id");--> statement-breakpoint
CREATE INDEX "licences_valid_to" ON "licences" USING btree ("state","valid_to");--> statement-breakpoint
CREATE INDEX "nonstandard_region_status" ON "nonstandard_items" USING btree ("region_code","status","kind_code");--> statement-breakpoint
CREATE INDEX "nonstandard_source" ON "nonstandard_items" USING btree ("source_record_id");--> statement-breakpoint
CREATE INDEX "outages_region_status" ON "outages" USING btree ("region_code","status");--> statement-breakpoint
CREATE INDEX "outbox_pending" ON "outbox" USING btree ("processed_at","id");