CREATE TABLE "holder_otps" (
	"id" uuid PRIMARY KEY NOT NULL,
	"id_index" text NOT NULL,
	"phone_index" text NOT NULL,
	"holder_id" uuid,
	"code_hash" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"consumed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "holder_sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"holder_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "holder_sign_in_guards" (
	"id_index" text NOT NULL,
	"phone_index" text NOT NULL,
	"failed_attempts" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "holder_otps" ADD CONSTRAINT "holder_otps_holder_id_holders_id_fk" FOREIGN KEY ("holder_id") REFERENCES "public"."holders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "holder_sessions" ADD CONSTRAINT "holder_sessions_holder_id_holders_id_fk" FOREIGN KEY ("holder_id") REFERENCES "public"."holders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "holder_otps_pair" ON "holder_otps" USING btree ("id_index","phone_index","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "holder_otps_one_live" ON "holder_otps" USING btree ("holder_id") WHERE consumed_at is null and code_hash is not null;--> statement-breakpoint
CREATE INDEX "holder_sessions_holder" ON "holder_sessions" USING btree ("holder_id");--> statement-breakpoint
CREATE UNIQUE INDEX "holder_sign_in_guards_pair" ON "holder_sign_in_guards" USING btree ("id_index","phone_index");