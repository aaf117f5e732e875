// The Android side of the duty trajectory: a foreground service of type location and the
// bridge Rust calls (see ../src/platform/android_location.rs, whose `#[manganis::ffi("android")]`
// names this folder; the Dioxus CLI builds it as a library and merges its manifest into the
// app's). No dependencies beyond the Android SDK: LocationManager and the notification are
// framework APIs below minSdk 24.
import org.gradle.api.tasks.bundling.AbstractArchiveTask

plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "cn.zhucun.location"
    compileSdk = 35

    defaultConfig {
        minSdk = 24
        targetSdk = 35
        // Rust reaches the bridge only through JNI: a shrinking app build must keep it.
        consumerProguardFiles("consumer-rules.pro")
    }

    buildTypes {
        getByName("release") { isMinifyEnabled = false }
        getByName("debug") { isMinifyEnabled = false }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    kotlinOptions { jvmTarget = "17" }
}

tasks.withType<AbstractArchiveTask>().configureEach {
    archiveBaseName.set("dx-native-zhucun-location-plugin")
}
