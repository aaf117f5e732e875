package cn.zhucun.location

import android.annotation.SuppressLint
import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.Service
import android.content.Intent
import android.content.pm.ServiceInfo
import android.location.Location
import android.location.LocationListener
import android.location.LocationManager
import android.os.Build
import android.os.IBinder
import android.os.Looper
import java.util.concurrent.ConcurrentLinkedQueue

/**
 * The duty's foreground service of type location: keeps taking fixes with the screen off,
 * shows its notification while it runs, and queues each fix (provider, mock flag, elapsed
 * realtime) and each gap (location switched off, service killed) for Rust to poll.
 */
class LocationService : Service(), LocationListener {

    override fun onBind(intent: Intent?): IBinder? = null

    @SuppressLint("MissingPermission")
    override fun onStartCommand(intent: Intent?, flags: Int, startId: Int): Int {
        val title = intent?.getStringExtra(TITLE) ?: "值守中"
        val text = intent?.getStringExtra(TEXT) ?: ""
        val notification = notification(title, text)
        if (Build.VERSION.SDK_INT >= 29) {
            startForeground(NOTIFICATION, notification, ServiceInfo.FOREGROUND_SERVICE_TYPE_LOCATION)
        } else {
            startForeground(NOTIFICATION, notification)
        }
        val manager = getSystemService(LOCATION_SERVICE) as LocationManager
        manager.removeUpdates(this)
        try {
            for (provider in listOf(LocationManager.GPS_PROVIDER, LocationManager.NETWORK_PROVIDER)) {
                if (manager.allProviders.contains(provider)) {
                    manager.requestLocationUpdates(provider, INTERVAL_MS, 0f, this, Looper.getMainLooper())
                }
            }
        } catch (e: SecurityException) {
            gap("permission_withdrawn")
        }
        if (!manager.isProviderEnabled(LocationManager.GPS_PROVIDER) &&
            !manager.isProviderEnabled(LocationManager.NETWORK_PROVIDER)
        ) {
            gap("location_off")
        }
        // Restarted by the system after it killed the process: Rust finds the gap on restart.
        return START_STICKY
    }

    override fun onLocationChanged(location: Location) {
        val mock = if (Build.VERSION.SDK_INT >= 31) location.isMock else {
            @Suppress("DEPRECATION")
            location.isFromMockProvider
        }
        val provider = when (location.provider) {
            LocationManager.GPS_PROVIDER -> "gps"
            LocationManager.NETWORK_PROVIDER -> "network"
            "fused" -> "fused"
            else -> "unknown"
        }
        events.add(
            "{\"fix\":{\"lat\":${location.latitude},\"lon\":${location.longitude}," +
                "\"accuracy\":${location.accuracy},\"time_ms\":${location.time}," +
                "\"elapsed_ms\":${location.elapsedRealtimeNanos / 1_000_000}," +
                "\"provider\":\"$provider\",\"mock\":$mock}}"
        )
    }

    override fun onProviderDisabled(provider: String) {
        val manager = getSystemService(LOCATION_SERVICE) as LocationManager
        if (!manager.isProviderEnabled(LocationManager.GPS_PROVIDER) &&
            !manager.isProviderEnabled(LocationManager.NETWORK_PROVIDER)
        ) {
            gap("location_off")
        }
    }

    override fun onProviderEnabled(provider: String) {}

    override fun onDestroy() {
        (getSystemService(LOCATION_SERVICE) as LocationManager).removeUpdates(this)
        if (!stopping) gap("service_killed")
        super.onDestroy()
    }

    private fun notification(title: String, text: String): Notification {
        val builder = if (Build.VERSION.SDK_INT >= 26) {
            val channel = NotificationChannel(CHANNEL, "值守轨迹", NotificationManager.IMPORTANCE_LOW)
            (getSystemService(NOTIFICATION_SERVICE) as NotificationManager)
                .createNotificationChannel(channel)
            Notification.Builder(this, CHANNEL)
        } else {
            @Suppress("DEPRECATION")
            Notification.Builder(this)
        }
        val open = packageManager.getLaunchIntentForPackage(packageName)
        if (open != null) {
            builder.setContentIntent(
                android.app.PendingIntent.getActivity(
                    this, 0, open, android.app.PendingIntent.FLAG_IMMUTABLE
                )
            )
        }
        return builder
            .setContentTitle(title)
            .setContentText(text)
            .setSmallIcon(android.R.drawable.ic_menu_mylocation)
            .setOngoing(true)
            .build()
    }

    companion object {
        const val DUTY = "duty"
        const val TITLE = "title"
        const val TEXT = "text"
        private const val CHANNEL = "zhucun_duty"
        private const val NOTIFICATION = 1
        private const val INTERVAL_MS = 10_000L

        /** Set by the bridge before stopping, so an ordinary stop is no gap. */
        @Volatile
        var stopping = false

        private val events = ConcurrentLinkedQueue<String>()

        fun gap(cause: String) {
            events.add("{\"gap\":{\"cause\":\"$cause\",\"since_ms\":${System.currentTimeMillis()}}}")
        }

        fun drain(): String? {
            val taken = generateSequence { events.poll() }.toList()
            return if (taken.isEmpty()) null else taken.joinToString(",", "[", "]")
        }
    }
}
