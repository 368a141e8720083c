CREATE TABLE "show_token_nonces" (
	"nonce" text PRIMARY KEY NOT NULL,
	"identifier" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "usage_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"identifier" text NOT NULL,
	"region_code" text NOT NULL,
	"kind_code" text NOT NULL,
	"event" text NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "verifications" (
	"id" uuid PRIMARY KEY NOT NULL,
	"officer_id" uuid NOT NULL,
	"region_code" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"place" text,
	"code_type" text NOT NULL,
	"result" text NOT NULL,
	"reason" text,
	"identifier" text,
	"certificate_region_code" text,
	"kind_code" text,
	"recognized" boolean,
	"outcome_reason" text,
	"outcome_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "usage_events_identifier" ON "usage_events" USING btree ("identifier","at");--> statement-breakpoint
CREATE INDEX "usage_events_region_at" ON "usage_events" USING btree ("region_code","at");--> statement-breakpoint
CREATE INDEX "verifications_region_at" ON "verifications" USING btree ("region_code","at");--> statement-breakpoint
CREATE INDEX "verifications_identifier" ON "verifications" USING btree ("identifier");