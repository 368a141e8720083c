CREATE TABLE "share_accesses" (
	"id" uuid PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"grant_id" uuid,
	"share_code_id" uuid,
	"basis" text,
	"requested_identifier" text NOT NULL,
	"identifier" text,
	"region_code" text NOT NULL,
	"kind_code" text,
	"outcome" text NOT NULL,
	"reason" text,
	"fields" jsonb,
	"purpose" text
);
--> statement-breakpoint
CREATE TABLE "share_codes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"code_hash" text NOT NULL,
	"holder_id" uuid NOT NULL,
	"serial" text NOT NULL,
	"identifier" text NOT NULL,
	"region_code" text NOT NULL,
	"kind_code" text NOT NULL,
	"fields" jsonb NOT NULL,
	"purpose" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"used_by" text
);
--> statement-breakpoint
CREATE TABLE "share_grants" (
	"id" uuid PRIMARY KEY NOT NULL,
	"basis" text NOT NULL,
	"client_id" text NOT NULL,
	"holder_id" uuid,
	"region_code" text NOT NULL,
	"certificates" jsonb,
	"kind_codes" jsonb,
	"fields" jsonb NOT NULL,
	"purpose" text NOT NULL,
	"legal_basis" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"withdrawn_at" timestamp with time zone,
	"withdrawn_by" text
);
--> statement-breakpoint
ALTER TABLE "usage_events" ADD COLUMN "ref_id" text;--> statement-breakpoint
ALTER TABLE "share_codes" ADD CONSTRAINT "share_codes_holder_id_holders_id_fk" FOREIGN KEY ("holder_id") REFERENCES "public"."holders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "share_grants" ADD CONSTRAINT "share_grants_holder_id_holders_id_fk" FOREIGN KEY ("holder_id") REFERENCES "public"."holders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "share_accesses_client_at" ON "share_accesses" USING btree ("client_id","at");--> statement-breakpoint
CREATE INDEX "share_accesses_region_at" ON "share_accesses" USING btree ("region_code","at");--> statement-breakpoint
CREATE UNIQUE INDEX "share_codes_hash" ON "share_codes" USING btree ("code_hash");--> statement-breakpoint
CREATE INDEX "share_codes_holder" ON "share_codes" USING btree ("holder_id","created_at");--> statement-breakpoint
CREATE INDEX "share_grants_holder" ON "share_grants" USING btree ("holder_id","created_at");--> statement-breakpoint
CREATE INDEX "share_grants_region" ON "share_grants" USING btree ("region_code","basis","created_at");
